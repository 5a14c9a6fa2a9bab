export const options = { thresholds: { anypod_never_defined: ['count==0'] } };
export default function () {}
