// reviewer's shared page behaviour. No build step; an ES module per concern,
// all served under one hash, so each is one instance on a page.
import "./keys.js";
