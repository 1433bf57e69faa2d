import "./deploy";
import "./circuits";
export {};
import "./anchor";
