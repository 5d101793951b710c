package monitoringstack.e2e;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.opensearch.Version;
import org.opensearch.analysis.common.CommonAnalysisPlugin;
import org.opensearch.common.logging.LogConfigurator;
import org.opensearch.common.settings.Settings;
import org.opensearch.env.Environment;
import org.opensearch.http.HttpServerTransport;
import org.opensearch.node.InternalSettingsPreparer;
import org.opensearch.node.Node;
import org.opensearch.painless.PainlessPlugin;
import org.opensearch.transport.Netty4Plugin;

/**
 * A single-node OpenSearch for the off-cluster e2e run: plain HTTP on 127.0.0.1 only, no security
 * plugin, data under the directory given. The production Node class, started with the modules a
 * distribution ships (netty4 HTTP/transport, analysis-common, painless) as classpath plugins
 * instead of through the distribution's Bootstrap: no bootstrap checks (they only apply to
 * non-loopback binds anyway) and no Java security manager.
 *
 * Usage: OpenSearchNode HTTP_PORT DATA_DIR [TRANSPORT_PORT]
 * Prints "opensearch-node ready http://127.0.0.1:PORT ..." once HTTP serves; stops on SIGTERM.
 */
public final class OpenSearchNode {
  private OpenSearchNode() {}

  /** Node's plugin-taking constructor is protected. */
  private static final class ClasspathPluginsNode extends Node {
    ClasspathPluginsNode(Environment environment) {
      super(environment, List.of(Netty4Plugin.class, CommonAnalysisPlugin.class, PainlessPlugin.class), true);
    }
  }

  public static void main(String[] args) throws Exception {
    if (args.length < 2 || args.length > 3) {
      System.err.println("usage: OpenSearchNode HTTP_PORT DATA_DIR [TRANSPORT_PORT]");
      System.exit(2);
    }
    int httpPort = Integer.parseInt(args[0]);
    Path dir = Paths.get(args[1]).toAbsolutePath();
    String transportPort = args.length == 3 ? args[2] : "0";
    for (String sub : new String[] {"home", "data", "logs"}) Files.createDirectories(dir.resolve(sub));

    Settings settings = Settings.builder()
        .put("cluster.name", "monitoring-e2e")
        .put("node.name", "e2e-0")
        .put("path.home", dir.resolve("home").toString())
        .put("path.data", dir.resolve("data").toString())
        .put("path.logs", dir.resolve("logs").toString())
        .put("network.host", "127.0.0.1")
        .put("http.port", httpPort)
        .put("transport.port", transportPort)
        .put("discovery.type", "single-node")
        // A test peer must not turn read-only or refuse shards because the machine's disk is full-ish.
        .put("cluster.routing.allocation.disk.threshold_enabled", false)
        .put("logger.level", System.getProperty("opensearch.node.log", "WARN"))
        .build();
    LogConfigurator.configureWithoutConfig(settings);

    Environment environment = InternalSettingsPreparer.prepareEnvironment(settings, java.util.Map.of(), null, () -> "e2e-0");
    Node node = new ClasspathPluginsNode(environment);
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      try {
        node.close();
        node.awaitClose(20, TimeUnit.SECONDS);
      } catch (Exception e) {
        e.printStackTrace();
      } finally {
        stopped.countDown();
      }
    }, "opensearch-node-shutdown"));

    node.start();
    HttpServerTransport http = node.injector().getInstance(HttpServerTransport.class);
    System.out.println("opensearch-node ready http://" + http.boundAddress().publishAddress() + " (OpenSearch " + Version.CURRENT + ", data " + dir + ")");
    System.out.flush();
    stopped.await();
  }
}
