import { useEffect, useRef, useState } from 'preact/hooks';

/** Asks for the query API's bearer token (the collector's --query-token). */
export function TokenDialog(props: { reason: string; onDone: (token: string | undefined) => void }) {
  const [value, setValue] = useState('');
  const input = useRef<HTMLInputElement>(null);
  useEffect(() => input.current?.focus(), []);
  return (
    <div class="modal-backdrop">
      <form
        class="modal"
        data-testid="token-dialog"
        onSubmit={(e) => {
          e.preventDefault();
          props.onDone(value.trim() || undefined);
        }}
      >
        <h2>Query token</h2>
        <p>{props.reason} It is kept for this browser tab only.</p>
        <input
          type="password"
          name="token"
          ref={input}
          autoComplete="off"
          placeholder="bearer token"
          value={value}
          onInput={(e) => setValue((e.target as HTMLInputElement).value)}
        />
        <div class="modal-actions">
          <button type="button" onClick={() => props.onDone(undefined)}>
            Cancel
          </button>
          <button type="submit" class="primary">
            Use token
          </button>
        </div>
      </form>
    </div>
  );
}
