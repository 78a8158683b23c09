// Worker entry of the `events` function: the Rust build behind the shared edge guard.
import Inner from "./build/index.js";
import { guard } from "../../adapter/js/guard.mjs";

export * from "./build/index.js";
export default guard(Inner, "events");
