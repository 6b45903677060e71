import type { ComponentChildren } from 'preact';
import { useApp } from '../context.js';
import { onLinkClick } from '../router.js';

/** An in-app link: a real `<a href>` (open in a new tab works) that navigates without reloading. */
export function Link(props: {
  href: string;
  class?: string;
  title?: string;
  children: ComponentChildren;
  'data-testid'?: string;
}) {
  const { router } = useApp();
  return (
    <a
      href={props.href}
      class={props.class}
      title={props.title}
      data-testid={props['data-testid']}
      onClick={onLinkClick(router, props.href)}
    >
      {props.children}
    </a>
  );
}
