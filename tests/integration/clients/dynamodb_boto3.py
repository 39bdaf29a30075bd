"""A realistic boto3 session against a DynamoDB endpoint.

    python3 -I dynamodb_boto3.py <endpoint URL>

Uses the low-level client and the resource API (Table, Key/Attr conditions, batch_writer)
the way application code does, checks every answer, and exits 0 when all checks held or 1
with a message on stderr naming the first one that did not. Credentials and region come from
the environment (the test sets AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_DEFAULT_REGION).
"""

import sys
from decimal import Decimal

import boto3
from boto3.dynamodb.conditions import Attr, Key
from botocore.config import Config
from botocore.exceptions import ClientError

TABLE = "Music"


class Mismatch(Exception):
    pass


def check(label, actual, expected):
    if actual != expected:
        raise Mismatch(f"{label}: expected {expected!r}, got {actual!r}")


def expect_error(label, code, call):
    """Runs `call`, which must fail with ClientError `code`; returns the error response."""
    try:
        call()
    except ClientError as e:
        check(f"{label} error code", e.response["Error"]["Code"], code)
        return e.response
    raise Mismatch(f"{label}: expected {code}, but the call succeeded")


def low_level(client):
    client.create_table(
        TableName=TABLE,
        AttributeDefinitions=[
            {"AttributeName": "artist", "AttributeType": "S"},
            {"AttributeName": "song", "AttributeType": "S"},
            {"AttributeName": "genre", "AttributeType": "S"},
            {"AttributeName": "year", "AttributeType": "N"},
        ],
        KeySchema=[
            {"AttributeName": "artist", "KeyType": "HASH"},
            {"AttributeName": "song", "KeyType": "RANGE"},
        ],
        GlobalSecondaryIndexes=[
            {
                "IndexName": "byGenre",
                "KeySchema": [
                    {"AttributeName": "genre", "KeyType": "HASH"},
                    {"AttributeName": "year", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["plays"]},
            }
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    client.get_waiter("table_exists").wait(
        TableName=TABLE, WaiterConfig={"Delay": 1, "MaxAttempts": 20}
    )
    check("ListTables", client.list_tables()["TableNames"], [TABLE])
    described = client.describe_table(TableName=TABLE)["Table"]
    check("TableStatus", described["TableStatus"], "ACTIVE")
    check(
        "index projection",
        described["GlobalSecondaryIndexes"][0]["Projection"],
        {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["plays"]},
    )

    item = {
        "artist": {"S": "Nina"},
        "song": {"S": "Sinnerman"},
        "genre": {"S": "jazz"},
        "year": {"N": "1965"},
        "plays": {"N": "0"},
        "tags": {"SS": ["live", "long"]},
    }
    client.put_item(TableName=TABLE, Item=item, ConditionExpression="attribute_not_exists(artist)")
    expect_error(
        "second conditional put",
        "ConditionalCheckFailedException",
        lambda: client.put_item(
            TableName=TABLE, Item=item, ConditionExpression="attribute_not_exists(artist)"
        ),
    )
    got = client.get_item(
        TableName=TABLE, Key={"artist": {"S": "Nina"}, "song": {"S": "Sinnerman"}}, ConsistentRead=True
    )
    check("GetItem", got["Item"]["year"], {"N": "1965"})
    check("GetItem set", sorted(got["Item"]["tags"]["SS"]), ["live", "long"])

    updated = client.update_item(
        TableName=TABLE,
        Key={"artist": {"S": "Nina"}, "song": {"S": "Sinnerman"}},
        UpdateExpression="ADD plays :one SET #y = :y",
        ConditionExpression="plays = :zero",
        ExpressionAttributeNames={"#y": "year"},
        ExpressionAttributeValues={":one": {"N": "1"}, ":zero": {"N": "0"}, ":y": {"N": "1966"}},
        ReturnValues="UPDATED_NEW",
    )
    check("UpdateItem UPDATED_NEW", updated["Attributes"], {"plays": {"N": "1"}, "year": {"N": "1966"}})

    # A transaction whose second action's condition fails: nothing is written, and the error
    # carries one cancellation reason per action, in order.
    cancelled = expect_error(
        "cancelled transaction",
        "TransactionCanceledException",
        lambda: client.transact_write_items(
            TransactItems=[
                {"Put": {"TableName": TABLE, "Item": {"artist": {"S": "Nina"}, "song": {"S": "Feeling Good"}}}},
                {
                    "Update": {
                        "TableName": TABLE,
                        "Key": {"artist": {"S": "Nina"}, "song": {"S": "Sinnerman"}},
                        "UpdateExpression": "SET plays = :p",
                        "ConditionExpression": "plays = :stale",
                        "ExpressionAttributeValues": {":p": {"N": "100"}, ":stale": {"N": "0"}},
                    }
                },
            ]
        ),
    )
    reasons = [r["Code"] for r in cancelled["CancellationReasons"]]
    check("CancellationReasons", reasons, ["None", "ConditionalCheckFailed"])
    absent = client.get_item(TableName=TABLE, Key={"artist": {"S": "Nina"}, "song": {"S": "Feeling Good"}})
    check("item of the cancelled transaction", "Item" in absent, False)

    client.transact_write_items(
        TransactItems=[
            {"Put": {"TableName": TABLE, "Item": {"artist": {"S": "Nina"}, "song": {"S": "Feeling Good"},
                                                  "genre": {"S": "jazz"}, "year": {"N": "1965"}}}},
            {
                "Update": {
                    "TableName": TABLE,
                    "Key": {"artist": {"S": "Nina"}, "song": {"S": "Sinnerman"}},
                    "UpdateExpression": "SET plays = plays + :n",
                    "ConditionExpression": "plays = :one",
                    "ExpressionAttributeValues": {":n": {"N": "9"}, ":one": {"N": "1"}},
                }
            },
        ]
    )
    both = client.transact_get_items(
        TransactItems=[
            {"Get": {"TableName": TABLE, "Key": {"artist": {"S": "Nina"}, "song": {"S": "Sinnerman"}},
                     "ProjectionExpression": "plays"}},
            {"Get": {"TableName": TABLE, "Key": {"artist": {"S": "Nina"}, "song": {"S": "Feeling Good"}},
                     "ProjectionExpression": "song"}},
        ]
    )
    check(
        "TransactGetItems",
        [r.get("Item") for r in both["Responses"]],
        [{"plays": {"N": "10"}}, {"song": {"S": "Feeling Good"}}],
    )

    expect_error(
        "missing table",
        "ResourceNotFoundException",
        lambda: client.get_item(TableName="NoSuchTable", Key={"artist": {"S": "x"}}),
    )
    bad_key = expect_error(
        "key of the wrong type",
        "ValidationException",
        lambda: client.get_item(TableName=TABLE, Key={"artist": {"N": "1"}, "song": {"S": "x"}}),
    )
    if "key element does not match the schema" not in bad_key["Error"]["Message"]:
        raise Mismatch(f"key of the wrong type: unexpected message {bad_key['Error']['Message']!r}")


def resource_api(resource):
    table = resource.Table(TABLE)
    # Native Python values through the resource layer's type serializer, every type once.
    song = {
        "artist": "Miles",
        "song": "So What",
        "genre": "jazz",
        "year": 1959,
        "plays": Decimal("2.5"),
        "live": False,
        "credits": {"trumpet": "Miles", "sax": ["Coltrane", "Adderley"]},
        "takes": {1, 2, 3},
        "cover": b"\x00\x01binary",
        "notes": None,
    }
    table.put_item(Item=song, ConditionExpression=Attr("artist").not_exists())
    back = table.get_item(Key={"artist": "Miles", "song": "So What"}, ConsistentRead=True)["Item"]
    check("resource round trip (binary compared as bytes)", {**back, "cover": bytes(back["cover"])}, song)

    with table.batch_writer() as batch:
        for i in range(30):
            batch.put_item(
                Item={
                    "artist": "Band",
                    "song": f"track-{i:02d}",
                    "genre": "rock" if i % 3 else "pop",
                    "year": 1990 + i,
                    "plays": i * 10,
                }
            )

    # Query with server-side pages of 7: the paginator follows LastEvaluatedKey until every
    # page is read. (The resource's client takes and returns native values, like the Table.)
    pages = resource.meta.client.get_paginator("query").paginate(
        TableName=TABLE,
        KeyConditionExpression="artist = :a AND begins_with(song, :t)",
        ExpressionAttributeValues={":a": "Band", ":t": "track-"},
        PaginationConfig={"PageSize": 7},
    )
    songs = [i["song"] for page in pages for i in page["Items"]]
    check("paginated query", songs, [f"track-{i:02d}" for i in range(30)])

    high = table.query(
        KeyConditionExpression=Key("artist").eq("Band") & Key("song").between("track-10", "track-19"),
        FilterExpression=Attr("plays").gte(150),
        ScanIndexForward=False,
    )
    check("query with filter", [i["song"] for i in high["Items"]], [f"track-{i}" for i in range(19, 14, -1)])
    check("query ScannedCount", high["ScannedCount"], 10)

    # The index: rock songs after 2010, newest first; only keys and `plays` are projected.
    rock = table.query(
        IndexName="byGenre",
        KeyConditionExpression=Key("genre").eq("rock") & Key("year").gt(2010),
        ScanIndexForward=False,
    )["Items"]
    expected_rock = [i for i in range(29, 20, -1) if i % 3]
    check("index query", [int(i["year"]) for i in rock], [1990 + i for i in expected_rock])
    check("index projection", sorted(rock[0].keys()), ["artist", "genre", "plays", "song", "year"])

    scanned, start = [], None
    while True:
        kwargs = {"FilterExpression": Attr("genre").eq("pop"), "Limit": 4}
        if start:
            kwargs["ExclusiveStartKey"] = start
        page = table.scan(**kwargs)
        scanned += [i["song"] for i in page["Items"]]
        start = page.get("LastEvaluatedKey")
        if not start:
            break
    check("paginated scan", sorted(scanned), [f"track-{i:02d}" for i in range(0, 30, 3)])

    table.update_item(
        Key={"artist": "Band", "song": "track-00"},
        UpdateExpression="SET genre = :g REMOVE plays",
        ConditionExpression=Attr("genre").eq("pop") & Attr("plays").exists(),
        ExpressionAttributeValues={":g": "rock"},
    )
    moved = table.query(IndexName="byGenre", KeyConditionExpression=Key("genre").eq("rock") & Key("year").eq(1990))
    check("item moved between index keys", [i["song"] for i in moved["Items"]], ["track-00"])
    check("removed attribute leaves the projection", "plays" in moved["Items"][0], False)

    try:
        table.delete_item(Key={"artist": "Band", "song": "track-01"}, ConditionExpression=Attr("plays").lt(5))
        raise Mismatch("conditional delete: expected ConditionalCheckFailedException")
    except resource.meta.client.exceptions.ConditionalCheckFailedException:
        pass
    old = table.delete_item(Key={"artist": "Band", "song": "track-01"}, ReturnValues="ALL_OLD")
    check("DeleteItem ALL_OLD", old["Attributes"]["plays"], Decimal(10))
    check("deleted item", "Item" in table.get_item(Key={"artist": "Band", "song": "track-01"}), False)

    with table.batch_writer() as batch:
        for i in range(2, 30):
            batch.delete_item(Key={"artist": "Band", "song": f"track-{i:02d}"})
    remaining = table.query(KeyConditionExpression=Key("artist").eq("Band"))["Items"]
    check("after batch delete", [i["song"] for i in remaining], ["track-00"])

    table.delete()
    resource.meta.client.get_waiter("table_not_exists").wait(
        TableName=TABLE, WaiterConfig={"Delay": 1, "MaxAttempts": 20}
    )
    check("ListTables after delete", resource.meta.client.list_tables()["TableNames"], [])


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: dynamodb_boto3.py <endpoint URL>")
    endpoint = sys.argv[1]
    # No retries: an error must show up as the error, not be papered over.
    config = Config(retries={"max_attempts": 1, "mode": "standard"})
    session = boto3.session.Session()
    client = session.client("dynamodb", endpoint_url=endpoint, config=config)
    resource = session.resource("dynamodb", endpoint_url=endpoint, config=config)
    try:
        low_level(client)
        resource_api(resource)
    except Mismatch as e:
        print(f"MISMATCH {e}", file=sys.stderr)
        sys.exit(1)
    except ClientError as e:
        print(f"UNEXPECTED ERROR {e.response['Error']} from {e.operation_name}", file=sys.stderr)
        sys.exit(1)
    print("ok")


if __name__ == "__main__":
    main()
