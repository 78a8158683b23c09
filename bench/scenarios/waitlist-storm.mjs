// The waitlist storm (issue 22): see bench/lib/waitlist-storm.mjs.
import { waitlistStorm } from "../lib/waitlist-storm.mjs";

export default waitlistStorm;
