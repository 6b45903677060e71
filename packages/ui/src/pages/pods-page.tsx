export function PodsPage(_props: Record<string, unknown>) {
  return <div class="page message">coming</div>;
}
