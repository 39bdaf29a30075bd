// Starts dynalite (an independent DynamoDB implementation) in memory on 127.0.0.1 and prints
// "listening <port>" once it accepts connections.
//   node dynalite_server.js <port, 0 for an ephemeral one> <directory holding node_modules>
// Tables change state at once (no CREATING/DELETING/UPDATING delay). The server exits when
// its stdin closes, so it never outlives the test that started it.
'use strict';
const path = require('path');

const root = process.argv[3] || process.cwd();
const dynalite = require(path.join(root, 'node_modules', 'dynalite'));
const server = dynalite({createTableMs: 0, deleteTableMs: 0, updateTableMs: 0});
server.listen(Number(process.argv[2] || 0), '127.0.0.1', () => {
  process.stdout.write('listening ' + server.address().port + '\n');
});
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
