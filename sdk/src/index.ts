// IIFE entry (tapistry.js / v1.js): boots on load from the script tag's data attributes.
import { boot } from './core/api';

boot();
