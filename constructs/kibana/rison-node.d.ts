/** The parts of `rison-node` (untyped on npm; the encoder Kibana's @kbn/rison wraps) we call. */
declare module 'rison-node' {
  type RisonValue = boolean | string | number | null | RisonValue[] | { [key: string]: RisonValue };
  const rison: {
    encode(value: unknown): string;
    decode(text: string): RisonValue;
  };
  export default rison;
}
