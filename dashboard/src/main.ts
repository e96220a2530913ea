// Entry point of the dashboard bundle (served at /app/).
import { h, render } from 'preact';
import { App } from './app';
import './styles.css';

render(h(App, {}), document.getElementById('app')!);
