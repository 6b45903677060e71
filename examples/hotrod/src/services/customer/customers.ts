/** A customer record, with the original's JSON field names. */
export interface Customer {
  ID: string;
  Name: string;
  /** "x,y" on the city grid */
  Location: string;
}

/** The original's four customers. */
export const CUSTOMERS: ReadonlyMap<number, Customer> = new Map([
  [123, { ID: '123', Name: "Rachel's_Floral_Designs", Location: '115,277' }],
  [567, { ID: '567', Name: 'Amazing_Coffee_Roasters', Location: '211,653' }],
  [392, { ID: '392', Name: 'Trom_Chocolatier', Location: '577,322' }],
  [731, { ID: '731', Name: 'Japanese_Desserts', Location: '728,326' }],
]);

/**
 * The customer id of a query value: a missing value and a non-integer are the caller's mistakes
 * (the original answers 400 with these messages).
 */
export function parseCustomerId(value: unknown): { id: number } | { error: string } {
  if (typeof value !== 'string' || value === '') return { error: "Missing required 'customer' parameter" };
  if (!/^[+-]?\d+$/.test(value)) return { error: "Parameter 'customer' is not an integer" };
  const id = Number(value);
  if (!Number.isSafeInteger(id)) return { error: "Parameter 'customer' is not an integer" };
  return { id };
}
