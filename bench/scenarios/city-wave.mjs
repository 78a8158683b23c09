// The city wave (issue 24): see bench/lib/city-wave.mjs.
import { cityWave } from "../lib/city-wave.mjs";

export default cityWave;
