// node tools/neo4j/check.mjs URI USER PASSWORD: exits 0 once a query runs with these
// credentials, else prints Neo4j's own reason (wrong password, not reachable) and exits 1.
import neo4j from 'neo4j-driver';

const [uri, user, password] = process.argv.slice(2);
const driver = neo4j.driver(uri, neo4j.auth.basic(user, password), { connectionTimeout: 5000, logging: { level: 'error', logger: () => {} } });
try {
  await driver.executeQuery('RETURN 1');
} catch (error) {
  console.error(`neo4j ${uri}: ${error.code ?? ''} ${error.message}`);
  process.exitCode = 1;
} finally {
  await driver.close();
}
