import { render } from 'preact';
import { App } from './app.js';
import { Router } from './router.js';
import './styles.css';

render(<App router={new Router()} />, document.getElementById('app')!);
