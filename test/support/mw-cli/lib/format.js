// Output formats of mw's list and get commands.
const isComposite = (value) => value !== null && typeof value === 'object';

function yamlScalar(value) {
  if (value === null || value === undefined) return 'null';
  return typeof value === 'string' ? JSON.stringify(value) : String(value);
}

const yamlKey = (key) => (/^[A-Za-z0-9_-]+$/.test(key) ? key : JSON.stringify(key));

function yamlLines(value) {
  const entries = Array.isArray(value) ? value.map((item) => ['-', item]) : Object.entries(value).map(([k, v]) => [`${yamlKey(k)}:`, v]);
  if (entries.length === 0) return [Array.isArray(value) ? '[]' : '{}'];
  return entries.flatMap(([prefix, item]) => {
    if (!isComposite(item) || Object.keys(item).length === 0) return [`${prefix} ${isComposite(item) ? yamlLines(item)[0] : yamlScalar(item)}`];
    const nested = yamlLines(item);
    return prefix === '-' ? [`- ${nested[0]}`, ...nested.slice(1).map((l) => `  ${l}`)] : [prefix, ...nested.map((l) => `  ${l}`)];
  });
}

export function toYaml(value) {
  return `${isComposite(value) ? yamlLines(value).join('\n') : yamlScalar(value)}\n`;
}

function cellText(value) {
  if (value === undefined || value === null) return '';
  return isComposite(value) ? JSON.stringify(value) : String(value);
}

function delimited(rows, separator) {
  const quote = (cell) => (/["\n\r]/.test(cell) || cell.includes(separator) ? `"${cell.replaceAll('"', '""')}"` : cell);
  return rows.map((row) => row.map(quote).join(separator)).join('\n');
}

function table(rows) {
  const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => row[column].length)));
  return rows.map((row) => row.map((cell, column) => cell.padEnd(widths[column])).join('  ').trimEnd()).join('\n');
}

/** columns: [{ header, value(item), extended? }]; flags: the list command's parsed flags. */
export function formatList(items, columns, flags) {
  if (flags.output === 'json') return `${JSON.stringify(items, null, 2)}\n`;
  if (flags.output === 'yaml') return toYaml(items);
  if (items.length === 0) return '';
  const shown = columns.filter((column) => flags.extended || !column.extended);
  const rows = items.map((item) => shown.map((column) => cellText(column.value(item))));
  const withHeader = flags['no-header'] ? rows : [shown.map((column) => column.header), ...rows];
  if (flags.output === 'csv') return `${delimited(withHeader, flags['csv-separator'])}\n`;
  if (flags.output === 'tsv') return `${delimited(withHeader, '\t')}\n`;
  return `${table(withHeader)}\n`;
}

/** fields: [[label, value(item)]] for the txt view; json/yaml print the whole object. */
export function formatObject(item, fields, output) {
  if (output === 'json') return `${JSON.stringify(item, null, 2)}\n`;
  if (output === 'yaml') return toYaml(item);
  const rows = fields.map(([label, value]) => [label, cellText(value(item))]);
  return `${table(rows)}\n`;
}
