import { styleText } from 'node:util';

// Colour only for a terminal that wants it (NO_COLOR, pipes and CI logs get plain text).
let enabled = process.stdout.isTTY === true && !process.env.NO_COLOR;

/** fleet.yaml's `color:`; NO_COLOR and FORCE_COLOR in the environment still win (flags over environment over file). */
export function setColorMode(mode: 'auto' | 'always' | 'never'): void {
  if (process.env.NO_COLOR || process.env.FORCE_COLOR !== undefined) return;
  enabled = mode === 'always' || (mode === 'auto' && process.stdout.isTTY === true);
}

type Style = Parameters<typeof styleText>[0];
const paint = (style: Style) => (text: string) => (enabled ? styleText(style, text) : text);

export const color = {
  green: paint('green'),
  yellow: paint('yellow'),
  red: paint('red'),
  magenta: paint('magenta'),
  dim: paint('dim'),
  bold: paint('bold'),
  cyan: paint('cyan'),
};
