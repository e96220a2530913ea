// htm bound to Preact's h: tagged templates instead of JSX, so there is no JSX build step, and
// every interpolated string is a text node or an attribute value — never parsed as HTML.
import htm from 'htm';
import { h } from 'preact';

export const html = htm.bind(h);
