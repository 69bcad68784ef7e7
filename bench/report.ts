// Renders one run as Markdown: the machine, every section's table, then the goals.
import type { Machine } from './machine.ts';
import type { GoalCheck, Section } from './profile.ts';

export interface Report {
  machine: Machine;
  startedAt: Date;
  durationSeconds: number;
  smoke: boolean;
  sections: Section[];
  goals: GoalCheck[];
}

function table(columns: string[], rows: string[][]): string[] {
  const line = (cells: string[]) => `| ${cells.map((cell) => cell.replaceAll('|', '\\|')).join(' | ')} |`;
  return [line(columns), line(columns.map(() => '---')), ...rows.map(line)];
}

export function renderReport(report: Report): string {
  const { machine } = report;
  const lines = [
    `# Benchmarks${report.smoke ? ' (smoke run: tiny counts, figures meaningless)' : ''}`,
    '',
    `Measured ${report.startedAt.toISOString()} in ${Math.round(report.durationSeconds)} s on ${machine.cores} cores (${machine.cpuModel}), ` +
      `${machine.memoryGb} GB RAM, Node ${machine.nodeVersion}. Run with \`npm run bench\`.`,
    'Client, server and references share the machine; compare figures within this run (ratios), not across runs.',
  ];
  for (const section of report.sections) {
    lines.push('', `## ${section.title}`, '', ...table(section.columns, section.rows));
    if (section.notes?.length) lines.push('', ...section.notes);
  }
  if (report.goals.length) {
    lines.push('', '## Goals', '', ...table(['goal', 'measured', 'result'], report.goals.map((g) => [g.goal, g.measured, g.met ? 'met' : 'MISSED'])));
  }
  return `${lines.join('\n')}\n`;
}
