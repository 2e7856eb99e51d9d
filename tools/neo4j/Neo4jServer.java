// A Neo4j 5.26 Community DBMS serving Bolt, for development, CI and benchmarks. Run by
// tools/neo4j/start as `java -cp 'lib/*' Neo4jServer.java` (no build step).
//
// Configuration comes from the environment, so the password never shows in `ps`:
//   NEO4J_HOME        directory holding data/ and logs/ (required)
//   NEO4J_BOLT        host:port of the Bolt listener (default 127.0.0.1:7687)
//   NEO4J_PASSWORD    password of user neo4j (required, at least 8 characters)
//   NEO4J_PAGECACHE   page cache size, e.g. 512m or 2g (default 512m)
//   NEO4J_TX_MEMORY   memory all running transactions may use together (default 256m)
//   NEO4J_READY_FILE  written once Bolt answers with the password set (optional)
//
// Authentication is on as in a real deployment: on every start the password of user neo4j is
// set through the system database (ALTER USER ... CHANGE NOT REQUIRED), so the first start
// needs no separate set-initial-password step and a changed NEO4J_PASSWORD takes effect.
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import org.neo4j.configuration.GraphDatabaseSettings;
import org.neo4j.configuration.connectors.BoltConnector;
import org.neo4j.configuration.connectors.HttpConnector;
import org.neo4j.configuration.connectors.HttpsConnector;
import org.neo4j.configuration.helpers.SocketAddress;
import org.neo4j.dbms.api.DatabaseManagementService;
import org.neo4j.dbms.api.DatabaseManagementServiceBuilder;

public final class Neo4jServer {
  public static void main(String[] args) throws Exception {
    Path home = Path.of(required("NEO4J_HOME")).toAbsolutePath();
    String password = required("NEO4J_PASSWORD");
    if (password.length() < 8) fail("NEO4J_PASSWORD must have at least 8 characters (Neo4j's minimum)");
    SocketAddress bolt = address(env("NEO4J_BOLT", "127.0.0.1:7687"));
    Files.createDirectories(home);

    DatabaseManagementService dbms = new DatabaseManagementServiceBuilder(home)
        .setConfig(GraphDatabaseSettings.auth_enabled, true)
        .setConfig(BoltConnector.enabled, true)
        .setConfig(BoltConnector.listen_address, bolt)
        .setConfig(BoltConnector.advertised_address, bolt)
        .setConfig(BoltConnector.encryption_level, BoltConnector.EncryptionLevel.DISABLED)
        .setConfig(HttpConnector.enabled, false)
        .setConfig(HttpsConnector.enabled, false)
        // Single instance: no routing listener (it would need a second port per instance).
        .setConfig(GraphDatabaseSettings.routing_enabled, false)
        .setConfig(GraphDatabaseSettings.pagecache_memory, bytes(env("NEO4J_PAGECACHE", "512m")))
        .setConfig(GraphDatabaseSettings.memory_transaction_global_max_size, bytes(env("NEO4J_TX_MEMORY", "256m")))
        // No usage reports: these machines reach package registries only.
        .setConfig(GraphDatabaseSettings.udc_enabled, false)
        .build();

    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      System.out.println("neo4j: stopping");
      dbms.shutdown();
      stopped.countDown();
    }, "neo4j-shutdown"));

    setPassword(dbms, password);
    String ready = System.getenv("NEO4J_READY_FILE");
    if (ready != null && !ready.isEmpty()) Files.writeString(Path.of(ready), ProcessHandle.current().pid() + "\n");
    System.out.println("neo4j: ready, bolt://" + bolt + " (user neo4j, auth on), home " + home);
    stopped.await();
  }

  /** Embedded code runs with full rights, so it can set the password as an administrator would. */
  private static void setPassword(DatabaseManagementService dbms, String password) {
    var system = dbms.database(GraphDatabaseSettings.SYSTEM_DATABASE_NAME);
    try {
      system.executeTransactionally("ALTER USER neo4j SET PLAINTEXT PASSWORD $password CHANGE NOT REQUIRED", Map.of("password", password));
    } catch (RuntimeException e) {
      // Neo4j refuses to "change" a password to the one it already has: that is the state we want.
      if (!String.valueOf(e.getMessage()).contains("cannot be the same")) throw e;
    }
  }

  private static SocketAddress address(String text) {
    int colon = text.lastIndexOf(':');
    try {
      return new SocketAddress(text.substring(0, colon), Integer.parseInt(text.substring(colon + 1)));
    } catch (RuntimeException e) {
      fail("NEO4J_BOLT must be host:port, got \"" + text + "\"");
      return null;
    }
  }

  private static long bytes(String text) {
    String t = text.trim().toLowerCase(Locale.ROOT);
    long unit = 1;
    char last = t.isEmpty() ? ' ' : t.charAt(t.length() - 1);
    if (last == 'k') unit = 1L << 10;
    if (last == 'm') unit = 1L << 20;
    if (last == 'g') unit = 1L << 30;
    String digits = unit == 1 ? t : t.substring(0, t.length() - 1);
    try {
      return Long.parseLong(digits) * unit;
    } catch (NumberFormatException e) {
      fail("not a size: \"" + text + "\" (use e.g. 512m or 2g)");
      return 0;
    }
  }

  private static String env(String name, String fallback) {
    String v = System.getenv(name);
    return v == null || v.isEmpty() ? fallback : v;
  }

  private static String required(String name) {
    String v = System.getenv(name);
    if (v == null || v.isEmpty()) fail(name + " is not set");
    return v;
  }

  private static void fail(String message) {
    System.err.println("neo4j: " + message);
    System.exit(2);
  }
}
