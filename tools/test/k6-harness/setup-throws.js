export function setup() { throw new Error('setup broke on purpose'); }
export default function () {}
