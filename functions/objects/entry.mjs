// Worker entry of the `objects` Worker: the Rust build (which exports the Durable Object classes)
// behind the shared edge guard.
import Inner from "./build/index.js";
import { guard } from "../../adapter/js/guard.mjs";

export * from "./build/index.js";
export default guard(Inner, "objects");
