// Entry point of the viewer: styles, then the app shell on #app.
import './styles/app.css';
import { startApp } from './app/app';

const root = document.getElementById('app');
if (root) startApp(root);
