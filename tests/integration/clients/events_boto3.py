"""EventBridge and SQS through boto3, as application code uses them.

    python3 -I events_boto3.py <endpoint URL>

Creates queues (one a dead-letter queue), a custom bus, rules with patterns and an input
transformer, targets; puts events; receives what the rules delivered; checks TestEventPattern,
validation errors, per-entry PutEvents failures, and an archive. Exits 0 when every check
held, or 1 naming the first that did not. Credentials and region come from the environment.
"""

import json
import sys
import time

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError


class Mismatch(Exception):
    pass


def check(label, actual, expected):
    if actual != expected:
        raise Mismatch(f"{label}: expected {expected!r}, got {actual!r}")


def expect_error(label, code, call):
    try:
        call()
    except ClientError as e:
        check(f"{label} error code", e.response["Error"]["Code"], code)
        return e.response
    raise Mismatch(f"{label}: expected {code}, but the call succeeded")


def receive_all(sqs, url, want, label):
    """Long-polls `url` until `want` messages arrived (deleting them), at most ~20 s."""
    got = []
    deadline = time.monotonic() + 20
    while len(got) < want and time.monotonic() < deadline:
        r = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1,
                                MessageAttributeNames=["All"])
        for m in r.get("Messages", []):
            got.append(m)
            sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
    check(f"{label}: messages received", len(got), want)
    return got


def main(endpoint):
    config = Config(retries={"max_attempts": 2})
    events = boto3.client("events", endpoint_url=endpoint, config=config)
    sqs = boto3.client("sqs", endpoint_url=endpoint, config=config)

    orders = sqs.create_queue(QueueName="orders")["QueueUrl"]
    dlq = sqs.create_queue(QueueName="orders-dlq")["QueueUrl"]
    orders_arn = sqs.get_queue_attributes(QueueUrl=orders, AttributeNames=["QueueArn"])[
        "Attributes"]["QueueArn"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])[
        "Attributes"]["QueueArn"]

    bus_arn = events.create_event_bus(Name="shop")["EventBusArn"]
    check("bus arn", bus_arn.endswith(":event-bus/shop"), True)
    names = [b["Name"] for b in events.list_event_buses()["EventBuses"]]
    check("buses", sorted(names), ["default", "shop"])

    pattern = {"source": ["shop.orders"], "detail": {"total": [{"numeric": [">", 100]}]}}
    rule_arn = events.put_rule(Name="big-orders", EventBusName="shop",
                               EventPattern=json.dumps(pattern))["RuleArn"]
    check("rule arn", rule_arn.endswith(":rule/shop/big-orders"), True)
    r = events.put_targets(Rule="big-orders", EventBusName="shop", Targets=[
        {"Id": "whole", "Arn": orders_arn},
        {"Id": "shaped", "Arn": dlq_arn, "InputTransformer": {
            "InputPathsMap": {"id": "$.detail.id", "total": "$.detail.total"},
            "InputTemplate": '{"order": <id>, "total": <total>, "rule": "<aws.events.rule-name>"}'}},
    ])
    check("put_targets failures", r["FailedEntryCount"], 0)
    described = events.describe_rule(Name="big-orders", EventBusName="shop")
    check("rule state", described["State"], "ENABLED")
    check("rule pattern", json.loads(described["EventPattern"]), pattern)
    check("targets listed", sorted(t["Id"] for t in events.list_targets_by_rule(
        Rule="big-orders", EventBusName="shop")["Targets"]), ["shaped", "whole"])

    put = events.put_events(Entries=[
        {"Source": "shop.orders", "DetailType": "OrderPlaced", "EventBusName": "shop",
         "Detail": json.dumps({"id": "o-1", "total": 250})},
        {"Source": "shop.orders", "DetailType": "OrderPlaced", "EventBusName": "shop",
         "Detail": json.dumps({"id": "o-2", "total": 5})},
        {"Source": "shop.orders", "DetailType": "OrderPlaced", "EventBusName": "shop",
         "Detail": "not json"},
    ])
    check("put_events FailedEntryCount", put["FailedEntryCount"], 1)
    check("third entry error", put["Entries"][2]["ErrorCode"], "MalformedDetail")
    event_id = put["Entries"][0]["EventId"]

    [whole] = receive_all(sqs, orders, 1, "whole event")
    event = json.loads(whole["Body"])
    check("delivered event id", event["id"], event_id)
    check("delivered detail", event["detail"], {"id": "o-1", "total": 250})
    check("envelope", (event["version"], event["source"], event["detail-type"]),
          ("0", "shop.orders", "OrderPlaced"))
    [shaped] = receive_all(sqs, dlq, 1, "shaped input")
    check("input transformer", json.loads(shaped["Body"]),
          {"order": "o-1", "total": 250, "rule": "big-orders"})

    # A target whose queue is gone goes to its dead-letter queue with EventBridge's attributes.
    events.put_rule(Name="to-nowhere", EventPattern=json.dumps({"source": ["shop.audit"]}))
    events.put_targets(Rule="to-nowhere", Targets=[{
        "Id": "gone", "Arn": orders_arn.replace(":orders", ":missing"),
        "DeadLetterConfig": {"Arn": dlq_arn}}])
    events.put_events(Entries=[{"Source": "shop.audit", "DetailType": "x", "Detail": "{}"}])
    [dead] = receive_all(sqs, dlq, 1, "dead letter")
    attributes = {k: v["StringValue"] for k, v in dead["MessageAttributes"].items()}
    check("dlq ERROR_CODE", attributes["ERROR_CODE"], "NO_RESOURCE")
    check("dlq RULE_ARN", attributes["RULE_ARN"].endswith(":rule/to-nowhere"), True)

    ok = events.test_event_pattern(
        EventPattern=json.dumps({"detail": {"ip": [{"cidr": "10.0.0.0/8"}]}}),
        Event=json.dumps({"id": "1", "account": "000000000000", "source": "s", "time":
                          "2026-01-01T00:00:00Z", "region": "us-east-1", "detail-type": "d",
                          "resources": [], "detail": {"ip": "10.1.2.3"}}))
    check("test_event_pattern", ok["Result"], True)
    expect_error("invalid pattern", "InvalidEventPatternException",
                 lambda: events.put_rule(Name="bad", EventPattern='{"a": "b"}'))
    expect_error("missing rule", "ResourceNotFoundException",
                 lambda: events.describe_rule(Name="nope"))
    expect_error("delete rule with targets", "ValidationException",
                 lambda: events.delete_rule(Name="to-nowhere"))

    archive = events.create_archive(ArchiveName="everything", EventSourceArn=bus_arn)
    check("archive state", archive["State"], "ENABLED")
    events.put_events(Entries=[{"Source": "shop.orders", "DetailType": "OrderPlaced",
                                "EventBusName": "shop", "Detail": '{"id":"o-3","total":1}'}])
    check("archive count", events.describe_archive(ArchiveName="everything")["EventCount"], 1)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1]))
    except Mismatch as e:
        print(f"mismatch: {e}", file=sys.stderr)
        sys.exit(1)
