/**
 * An attribute name resolved once per span builder (see SpanAttributeKeys) instead of looked up by
 * its text for every attribute of every span: the direct encoder keeps its encoded form and value
 * cache on it.
 */
export class AttributeKey {
  /** The direct encoder's state for this name (its encoded key and last value), made on first use. */
  encoderEntry: unknown;

  constructor(readonly name: string) {}
}
