/** The dashboard's entry point: styles, then the app in `#app`. */
import "./style.css";
import { start } from "./app";

const root = document.getElementById("app");
if (root) start(root);
