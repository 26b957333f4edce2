import { expect } from 'chai';
import { csvCell, safeFileName, toCsv } from '../../src/platform/csv';
import { displayZone, formatInZone } from '../../src/platform/time-zone';

describe('CSV and time-zone helpers of the exports', () => {
  it('quotes per RFC 4180 and neutralises every formula start, numbers left alone', () => {
    expect(csvCell('plain')).to.equal('plain');
    expect(csvCell('a,b')).to.equal('"a,b"');
    expect(csvCell('say "hi"')).to.equal('"say ""hi"""');
    expect(csvCell('two\nlines')).to.equal('"two\nlines"');
    for (const start of ['=', '+', '-', '@', '\t', '\r']) expect(csvCell(`${start}1+1`)).to.match(/^"?'/);
    expect(csvCell('=A1,B1')).to.equal(`"'=A1,B1"`);
    expect(csvCell(-2.5)).to.equal('-2.5');
    expect(csvCell(null)).to.equal('');
    expect(toCsv(['a', 'b'], [[1, 'x']])).to.equal('\uFEFFa,b\r\n1,x\r\n');
  });

  it('file names keep only safe characters (no quotes, slashes or header breaks)', () => {
    expect(safeFileName('Práctica "EDL 690"/../x\r\nSet-Cookie: y', '.csv')).to.equal('Practica-EDL-690-.-x-Set-Cookie-y.csv');
    expect(safeFileName('日本語', '.pdf')).to.equal('export.pdf');
  });

  it('times are formatted in the named zone; an unknown zone falls back to UTC, marked as not known', () => {
    const noonUtc = new Date('2026-07-01T12:00:00Z');
    expect(formatInZone(noonUtc, 'America/Chicago')).to.equal('2026-07-01 07:00');
    expect(formatInZone(new Date('2026-12-01T12:00:00Z'), 'America/Chicago')).to.equal('2026-12-01 06:00');
    expect(formatInZone(noonUtc, 'UTC')).to.equal('2026-07-01 12:00');
    expect(displayZone('Mars/Olympus', undefined, 'Europe/Berlin')).to.deep.equal({ zone: 'Europe/Berlin', isKnown: true });
    expect(displayZone('"><script>', 42)).to.deep.equal({ zone: 'UTC', isKnown: false });
  });
});
