// The schemas the services share over HTTP. Each used to be written on both sides of a call
// (cart's ProductId and catalog's, cart's reservation types and catalog's), free to drift apart;
// here the side that answers and the side that calls read the same definition.
export * from './products.ts';
export * from './reservations.ts';
