// List views: the lists people would rather look at than read (projects, app installations,
// databases, backups, cron jobs) as a table, sortable by any column, filterable, sizes and times in
// a person's units, a link into mStudio per row. The data is the same call's structuredContent
// (`items`, as result.ts makes it); the text result stays as it is. One view per list, differing
// only in its columns and link.
import { viewDocument } from './view-document.ts';

type ColumnFormat = 'text' | 'bytes' | 'time' | 'yes-no';

interface ListColumn {
  /** the heading */
  title: string;
  /** dotted path into an item */
  path: string;
  format?: ColumnFormat;
}

interface ListView {
  uri: string;
  title: string;
  columns: ListColumn[];
  /** mStudio address of a row, `{field}` filled from the item (ids only) */
  link: string;
}

const STUDIO = 'https://studio.mittwald.de/app';

/** tool name → its list view */
export const LIST_VIEWS: Record<string, ListView> = {
  mittwald_project_list: {
    uri: 'ui://mittwald-mcp/list/projects',
    title: 'Projects',
    columns: [
      { title: 'Project', path: 'description' },
      { title: 'Id', path: 'shortId' },
      { title: 'Status', path: 'status' },
      { title: 'Backups use', path: 'backupStorageUsageInBytes', format: 'bytes' },
      { title: 'Created', path: 'createdAt', format: 'time' },
    ],
    link: `${STUDIO}/projects/{id}/dashboard`,
  },
  mittwald_app_list: {
    uri: 'ui://mittwald-mcp/list/apps',
    title: 'App installations',
    columns: [
      { title: 'Installation', path: 'description' },
      { title: 'App', path: 'appName' },
      { title: 'Version', path: 'appExternalVersion' },
      { title: 'Status', path: 'phase' },
      { title: 'Path', path: 'installationPath' },
      { title: 'Created', path: 'createdAt', format: 'time' },
    ],
    link: `${STUDIO}/projects/{projectId}/apps/{id}/general`,
  },
  mittwald_database_mysql_list: {
    uri: 'ui://mittwald-mcp/list/databases',
    title: 'MySQL databases',
    columns: [
      { title: 'Database', path: 'name' },
      { title: 'Description', path: 'description' },
      { title: 'Version', path: 'version' },
      { title: 'Ready', path: 'isReady', format: 'yes-no' },
      { title: 'Created', path: 'createdAt', format: 'time' },
    ],
    link: `${STUDIO}/projects/{projectId}/databases`,
  },
  mittwald_backup_list: {
    uri: 'ui://mittwald-mcp/list/backups',
    title: 'Backups',
    columns: [
      { title: 'Backup', path: 'description' },
      { title: 'Status', path: 'status' },
      { title: 'Created', path: 'createdAt', format: 'time' },
      { title: 'Expires', path: 'expiresAt', format: 'time' },
    ],
    link: `${STUDIO}/projects/{projectId}/backups`,
  },
  mittwald_cronjob_list: {
    uri: 'ui://mittwald-mcp/list/cronjobs',
    title: 'Cron jobs',
    columns: [
      { title: 'Cron job', path: 'description' },
      { title: 'Schedule', path: 'interval' },
      { title: 'Active', path: 'active', format: 'yes-no' },
      { title: 'Created', path: 'createdAt', format: 'time' },
    ],
    link: `${STUDIO}/projects/{projectId}/cronjobs`,
  },
};

const STYLE = `
.bar { display: flex; gap: 8px; align-items: center; margin-bottom: 8px; flex-wrap: wrap; }
.bar h1 { margin: 0; flex: 1 1 auto; }
input { padding: 6px 8px; border-radius: var(--border-radius-sm, 6px); border: 1px solid var(--color-border-primary, #8886); background: var(--color-background-secondary, Field); min-width: 0; flex: 0 1 220px; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; font-size: var(--font-text-sm-size, 14px); }
th, td { text-align: left; padding: 6px 8px; border-bottom: 1px solid var(--color-border-secondary, #8883); white-space: nowrap; }
td:first-child { white-space: normal; overflow-wrap: anywhere; min-width: 8em; }
th button { all: unset; cursor: pointer; font-weight: var(--font-weight-semibold, 600); }
td button { padding: 2px 8px; border-radius: var(--border-radius-sm, 6px); border: 1px solid var(--color-border-primary, #8886); background: none; cursor: pointer; white-space: nowrap; }
#empty { margin-top: 8px; }
@media (max-width: 420px) { th:nth-child(n+4), td:nth-child(n+4) { display: none; } td:last-child, th:last-child { display: table-cell; } }
`;

// Runs in the view: builds the table with textContent only; links are built from ids checked
// against a strict pattern and opened through the host (ui/open-link).
const SCRIPT = `
let items = [];
let sortBy = 0;
let ascending = true;
const valueAt = (item, path) => path.split('.').reduce((value, key) => (value && typeof value === 'object' ? value[key] : undefined), item);
const UNITS = ['B', 'KB', 'MB', 'GB', 'TB'];
function shown(value, format) {
  if (value === undefined || value === null || value === '') return '';
  if (format === 'bytes' && typeof value === 'number') {
    let size = value; let unit = 0;
    while (size >= 1024 && unit < UNITS.length - 1) { size /= 1024; unit++; }
    return (unit === 0 ? String(size) : size.toFixed(1)) + ' ' + UNITS[unit];
  }
  if (format === 'time') { const time = new Date(String(value)); return Number.isNaN(time.getTime()) ? String(value) : time.toLocaleString(); }
  if (format === 'yes-no') return value === true ? 'yes' : value === false ? 'no' : String(value);
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}
function linkOf(item) {
  let ok = true;
  const url = LIST.link.replace(/\\{(\\w+)\\}/g, (_, field) => {
    const id = item[field];
    if (typeof id !== 'string' || !/^[A-Za-z0-9-]{1,64}$/.test(id)) ok = false;
    return ok ? id : '';
  });
  return ok ? url : undefined;
}
function render() {
  const filter = $('filter').value.trim().toLowerCase();
  const column = LIST.columns[sortBy];
  const rows = items
    .map((item) => ({ item, cells: LIST.columns.map((c) => shown(valueAt(item, c.path), c.format)) }))
    .filter((row) => !filter || row.cells.some((cell) => cell.toLowerCase().includes(filter)))
    .sort((a, b) => {
      const x = valueAt(a.item, column.path); const y = valueAt(b.item, column.path);
      const order = typeof x === 'number' && typeof y === 'number' ? x - y : String(x ?? '').localeCompare(String(y ?? ''), undefined, { numeric: true });
      return ascending ? order : -order;
    });
  $('rows').replaceChildren(...rows.map(({ item, cells }) => {
    const tr = document.createElement('tr');
    for (const cell of cells) { const td = document.createElement('td'); td.textContent = cell; tr.append(td); }
    const td = document.createElement('td');
    const url = linkOf(item);
    if (url) {
      const open = document.createElement('button');
      open.textContent = 'mStudio';
      open.title = url;
      open.addEventListener('click', () => view.request('ui/open-link', { url }).catch(() => undefined));
      td.append(open);
    }
    tr.append(td);
    return tr;
  }));
  $('count').textContent = rows.length + ' of ' + items.length;
  $('empty').hidden = rows.length > 0;
  view.reportSize();
}
function onToolInput() {}
function onToolResult(result) {
  const list = result?.structuredContent?.items;
  if (!Array.isArray(list)) { $('empty').hidden = false; $('empty').textContent = view.textOf(result); return view.reportSize(); }
  items = list.filter((item) => item && typeof item === 'object');
  render();
}
$('head').replaceChildren(...LIST.columns.map((column, index) => {
  const th = document.createElement('th');
  const sort = document.createElement('button');
  sort.textContent = column.title;
  sort.addEventListener('click', () => { ascending = sortBy === index ? !ascending : true; sortBy = index; render(); });
  th.append(sort);
  return th;
}), document.createElement('th'));
$('filter').addEventListener('input', render);
`;

/** the view of each list, by its uri */
export const LIST_VIEW_HTML: Record<string, string> = Object.fromEntries(
  Object.values(LIST_VIEWS).map((list) => [
    list.uri,
    viewDocument({
      title: list.title,
      style: STYLE,
      body: `<div class="bar"><h1></h1><span id="count"></span><input id="filter" type="search" placeholder="Filter" aria-label="Filter"></div>
<div class="scroll"><table><thead><tr id="head"></tr></thead><tbody id="rows"></tbody></table></div>
<p id="empty" hidden>Nothing to show.</p>`,
      script: `const LIST = ${JSON.stringify({ columns: list.columns, link: list.link })};\ndocument.querySelector('h1').textContent = ${JSON.stringify(list.title)};\n${SCRIPT}`,
    }),
  ]),
);
