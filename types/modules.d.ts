// Minimal declarations for untyped iden3 packages used by the tests and the build.
declare module "r1csfile";
