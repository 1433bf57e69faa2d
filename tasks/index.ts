import "./deploy";
import "./circuits";
export {};
