/**
 * The demo population both fakes draw from. Person `i` is the same human on both sides, so
 * the Pipedrive demo and the Constant Contact demo can overlap by email for a chosen range of
 * indexes. Pure and deterministic: `demoPerson(i)` depends on `i` alone.
 */
import { createRng } from './prng.ts';

const FIRST = [
  'Ada',
  'Ben',
  'Chloe',
  'Dmitri',
  'Elena',
  'Farid',
  'Grace',
  'Hiro',
  'Ines',
  'Jonas',
  'Kaia',
  'Liam',
  'Maja',
  'Nils',
  'Olga',
  'Pedro',
  'Quinn',
  'Rosa',
  'Sven',
  'Tiina',
  'Uma',
  'Viktor',
  'Wen',
  'Ximena',
  'Yusuf',
  'Zofia',
] as const;
const LAST = [
  'Tamm',
  'Smith',
  'Garcia',
  'Kask',
  'Nguyen',
  'Müller',
  'Rossi',
  'Silva',
  'Novak',
  'Kowalski',
  'Andersen',
  'Dubois',
  'Ivanova',
  'Sato',
  "O'Brien",
  'Virtanen',
  'Jensen',
  'Costa',
  'Lee',
  'Mägi',
] as const;
const COMPANIES = [
  'Northwind',
  'Acme Robotics',
  'Globex',
  'Initech',
  'Umbrella Foods',
  'Stark Logistics',
  'Wayne Analytics',
  'Hooli',
  'Vandelay Imports',
  'Soylent Labs',
] as const;
const TITLES = [
  'CEO',
  'Head of Sales',
  'Marketing Manager',
  'Account Executive',
  'CTO',
  'Office Manager',
  'Procurement Lead',
  'Founder',
] as const;
const DOMAINS = ['example.com', 'example.org', 'example.net'] as const;

export interface DemoPerson {
  index: number;
  firstName: string;
  lastName: string;
  /** Lower-case, unique per index. */
  email: string;
  phone: string;
  company: string;
  jobTitle: string;
}

export function demoPerson(index: number): DemoPerson {
  const rng = createRng(`person-${index}`);
  const firstName = rng.pick(FIRST);
  const lastName = rng.pick(LAST);
  const local = `${firstName}.${lastName}`
    .toLowerCase()
    .normalize('NFKD')
    .replace(/[^a-z.]/g, '');
  return {
    index,
    firstName,
    lastName,
    email: `${local}.${index}@${rng.pick(DOMAINS)}`,
    phone: `+372 5${String(rng.int(0, 9_999_999)).padStart(7, '0')}`,
    company: rng.pick(COMPANIES),
    jobTitle: rng.pick(TITLES),
  };
}
