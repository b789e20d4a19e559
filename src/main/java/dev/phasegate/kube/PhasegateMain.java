package dev.phasegate.kube;

import io.quarkus.runtime.Quarkus;
import io.quarkus.runtime.annotations.QuarkusMain;

/** The operator's entry point: Quarkus as usual, with the API client's code warmed up on a second thread meanwhile. */
@QuarkusMain
public class PhasegateMain {

    public static void main(String... args) {
        ClientWarmup.start();
        Quarkus.run(args);
    }
}
