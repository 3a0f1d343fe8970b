/** Consensus takes its time injected (see `Clock` in utils), so the simulator runs the core on virtual time. */
export { type Clock, systemClock } from "@charter/utils";
