package dev.phasegate.kube;

import dev.phasegate.api.SchemaMigration;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentList;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.nio.ByteBuffer;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import org.jboss.logging.Logger;

/**
 * Runs, on a thread of its own while Quarkus boots, the code the operator's first requests to the API server need and
 * nothing has loaded yet: TLS (a ClientHello with its key shares, the certificate and key store code) and the JSON
 * mapping of a SchemaMigration with its status and of a Lease. Measured on two cores, that first request cost about a
 * second of class loading after the boot, time during which the standby replica that takes over from a dead leader
 * is not yet reconciling. Then it loads the rest of what a start needs ({@link StartupClassPreloader}; only that part
 * is off with {@code -Dphasegate.warmup.preload=false}). It only loads and runs code: no connection, no file, nothing
 * kept. Off with {@code -Dphasegate.warmup=false}.
 */
final class ClientWarmup implements Runnable {
    private static final Logger LOG = Logger.getLogger(ClientWarmup.class);

    /** A migration as the API server returns it: every status part the informer's first list maps. */
    private static final String MIGRATION = """
            {"apiVersion":"phasegate.dev/v1alpha1","kind":"SchemaMigration",
             "metadata":{"name":"warmup","namespace":"warmup","generation":1,"resourceVersion":"1",
                         "annotations":{"phasegate.dev/author":"warmup"}},
             "spec":{"database":{"secretRef":{"name":"db"}},"compatibleSchema":{"sql":"SELECT 1"},
                     "backfill":{"table":"t","keyColumn":"id","set":"a = b","where":"a IS NULL"},
                     "cleanup":{"sql":"SELECT 1"},"waits":{"afterCompatibleSchema":"1m"},
                     "lint":{"allow":[{"rule":"r","reason":"warmup"}]}},
             "status":{"observedGeneration":1,"phase":"CompatibleSchema","state":"Waiting","reason":"WaitingPeriod",
                       "message":"m","conditions":[{"type":"Ready","status":"False","reason":"WaitingPeriod"}],
                       "phases":[{"name":"CompatibleSchema","state":"Succeeded"}],
                       "health":{"gate":"Open","blocker":{"pid":1}},"backfill":{"rowsDone":1},
                       "lint":{"findings":[{"rule":"r"}],"plan":["p"]}}}""";
    private static final String LEASE = """
            {"apiVersion":"coordination.k8s.io/v1","kind":"Lease","metadata":{"name":"warmup","namespace":"warmup"},
             "spec":{"holderIdentity":"warmup","leaseDurationSeconds":15,"acquireTime":"2026-01-01T00:00:00.000000Z",
                     "renewTime":"2026-01-01T00:00:00.000000Z","leaseTransitions":1}}""";

    /** Its template names a container: mapping a Deployment builds the mapping of every pod spec type anyway. */
    private static final String DEPLOYMENTS = """
            {"apiVersion":"apps/v1","kind":"DeploymentList","metadata":{"resourceVersion":"1"},
             "items":[{"metadata":{"name":"warmup","namespace":"warmup","generation":1},
                       "spec":{"replicas":1,"selector":{"matchLabels":{"app":"warmup"}},
                               "template":{"metadata":{"labels":{"app":"warmup"}},
                                           "spec":{"containers":[{"name":"app","image":"warmup:1"}]}}},
                       "status":{"observedGeneration":1,"replicas":1,"updatedReplicas":1,
                                 "conditions":[{"type":"Progressing","status":"True"}]}}]}""";

    /** What the warm-up mapped, so that a test can see it ran to the end. */
    record Warmed(SchemaMigration migration, Deployment deployment) {
    }

    private ClientWarmup() {
    }

    /** Starts the warm-up unless {@code -Dphasegate.warmup=false}. */
    static void start() {
        if (Boolean.parseBoolean(System.getProperty("phasegate.warmup", "true"))) {
            Thread t = new Thread(new ClientWarmup(), "phasegate-warmup");
            t.setDaemon(true);
            t.start();
        }
    }

    @Override
    public void run() {
        long started = System.nanoTime();
        try {
            warm();
            // After the mapping, not beside it: a third busy thread on two cores slowed the boot thread more than the
            // list sped it up.
            if (Boolean.parseBoolean(System.getProperty("phasegate.warmup.preload", "true"))) {
                StartupClassPreloader.Result preloaded = StartupClassPreloader.preload();
                LOG.debugf("preloaded %d classes (%d unknown)", preloaded.loaded(), preloaded.missing());
            }
        } catch (Exception | LinkageError e) {
            // Only a head start: the client does all of this again, for real, and reports what fails then.
            LOG.debugf("warm-up stopped early: %s", e.toString());
        }
        LOG.debugf("warm-up took %d ms", (System.nanoTime() - started) / 1_000_000);
    }

    /** The work itself. */
    static Warmed warm() throws Exception {
        SSLContext tls = SSLContext.getInstance("TLS");
        tls.init(null, null, null);
        SSLEngine engine = tls.createSSLEngine("warmup.invalid", 443);
        engine.setUseClientMode(true);
        engine.wrap(ByteBuffer.allocate(0), ByteBuffer.allocate(engine.getSession().getPacketBufferSize()));
        CertificateFactory.getInstance("X.509");
        KeyStore.getInstance(KeyStore.getDefaultType()).load(null, null);
        KubernetesSerialization json = new KubernetesSerialization();
        json.asJson(json.unmarshal(LEASE, Lease.class));
        SchemaMigration m = json.unmarshal(MIGRATION, SchemaMigration.class);
        json.asJson(m);
        DeploymentList deployments = json.unmarshal(DEPLOYMENTS, DeploymentList.class);
        return new Warmed(m, deployments.getItems().get(0));
    }
}
