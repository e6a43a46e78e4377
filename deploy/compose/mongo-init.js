// Run once by the mongo-init service (docker-compose.yml): initiates the three-member replica set
// rs0 unless it is initiated already, then waits until a primary is elected.
try {
  rs.status();
  print('replica set rs0 is already initiated');
} catch (err) {
  if (err.codeName !== 'NotYetInitialized') throw err;
  rs.initiate({
    _id: 'rs0',
    members: [
      { _id: 0, host: 'mongo1:27017', priority: 2 },
      { _id: 1, host: 'mongo2:27017' },
      { _id: 2, host: 'mongo3:27017' },
    ],
  });
  print('replica set rs0 initiated');
}
for (let i = 0; i < 120; i++) {
  if (db.hello().isWritablePrimary || rs.status().members.some((m) => m.stateStr === 'PRIMARY')) {
    print('rs0 has a primary');
    quit(0);
  }
  sleep(1000);
}
print('rs0 elected no primary within 120 s');
quit(1);
