/* global rs, db, print, quit, sleep -- mongosh shell globals */
// Run by the mongo-init service of docker-compose.scale.yml: initiates replica set rs0 on first
// start (a no-op afterwards) and waits until a primary is elected, so Fieldbook starts against a
// writable set.
const members = [
  { _id: 0, host: 'mongo1:27017' },
  { _id: 1, host: 'mongo2:27017' },
  { _id: 2, host: 'mongo3:27017' },
];
try {
  rs.status();
  print('replica set rs0 already initiated');
} catch (err) {
  if (err.codeName !== 'NotYetInitialized') throw err;
  rs.initiate({ _id: 'rs0', members });
  print('replica set rs0 initiated');
}
for (let i = 0; i < 120; i += 1) {
  const hello = db.hello();
  if (hello.isWritablePrimary || hello.primary) {
    print(`primary: ${hello.primary}`);
    quit(0);
  }
  sleep(1000);
}
print('no primary elected after 120 s');
quit(1);
