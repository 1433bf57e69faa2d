import "./deploy";
import "./circuits";
export {};
import "./anchor";
import "./anchor/audit";
import "./anchor/inclusion";
import "./anchor/status";
