import { styleText } from 'node:util';

// Colour only for a terminal that wants it (NO_COLOR, pipes and CI logs get plain text).
const enabled = process.stdout.isTTY === true && !process.env.NO_COLOR;

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
