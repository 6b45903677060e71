export function ComparePage(_props: Record<string, unknown>) {
  return <div class="page message">coming</div>;
}
