import { SHORTCUTS } from './keyboard.js';

export function HelpOverlay(props: { onClose: () => void }) {
  return (
    <div class="modal-backdrop">
      <div class="modal" role="dialog" aria-label="Keyboard shortcuts" data-testid="shortcuts-help">
        <h2>Keyboard shortcuts</h2>
        <table class="kv">
          <tbody>
            {SHORTCUTS.map((s) => (
              <tr key={s.action}>
                <th>
                  {s.keys.map((k) => (
                    <kbd key={k}>
                      {k.replace('Arrow', '').replace('shift+', '⇧ ').replace('ctrl+', 'Ctrl ')}
                    </kbd>
                  ))}
                </th>
                <td>{s.label}</td>
              </tr>
            ))}
          </tbody>
        </table>
        <div class="modal-actions">
          <button type="button" onClick={props.onClose}>
            Close
          </button>
        </div>
      </div>
    </div>
  );
}
