package io.torchtpu.engine;

import java.util.concurrent.Executor;

/** What a serving model asks of the engine that made it. */
interface Engine {

    /** Compiles the model for a backend and installs that deployment; requests on the old one finish first. */
    void move(ServingModel model, String backend);

    /** Compiles the model again on its backend, after a lowering it used changed. */
    void recompile(ServingModel model);

    Executor executor();
}
