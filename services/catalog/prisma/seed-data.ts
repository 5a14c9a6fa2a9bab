// The demo catalogue, generated deterministically: ten categories, each adjectives × nouns, so
// every run (and every machine) gets the same 1,100 products with the same ids, prices and stock.

export interface SeedCategory {
  id: string;
  name: string;
  adjectives: string[];
  /** noun and its base price in cents */
  nouns: Array<[string, number]>;
  blurb: string;
}

const ADJECTIVES = {
  home: ['Classic', 'Modern', 'Rustic', 'Nordic', 'Compact', 'Deluxe', 'Vintage', 'Minimal', 'Handmade', 'Everyday'],
  tech: ['Smart', 'Wireless', 'Portable', 'Pro', 'Mini', 'Ultra', 'Rugged', 'Silent', 'Fast', 'Essential'],
  outdoor: ['Trail', 'Alpine', 'Lightweight', 'Waterproof', 'Expedition', 'Compact', 'Insulated', 'Packable', 'Summit', 'Coastal'],
};

export const CATEGORIES: SeedCategory[] = [
  { id: 'kitchen', name: 'Kitchen', adjectives: ADJECTIVES.home, blurb: 'for everyday cooking', nouns: [['Chef Knife', 4900], ['Cutting Board', 2900], ['Saucepan', 5900], ['Frying Pan', 4500], ['Kettle', 3900], ['Teapot', 2500], ['Mixing Bowl', 1900], ['Colander', 1500], ['Spice Rack', 2400], ['Coffee Grinder', 6900], ['Dutch Oven', 12900]] },
  { id: 'furniture', name: 'Furniture', adjectives: ADJECTIVES.home, blurb: 'built to last', nouns: [['Armchair', 34900], ['Dining Chair', 12900], ['Coffee Table', 19900], ['Bookshelf', 17900], ['Desk', 24900], ['Bed Frame', 39900], ['Stool', 5900], ['Sideboard', 44900], ['Wardrobe', 59900], ['Bench', 14900], ['Nightstand', 8900]] },
  { id: 'lighting', name: 'Lighting', adjectives: ADJECTIVES.home, blurb: 'with warm, even light', nouns: [['Floor Lamp', 8900], ['Desk Lamp', 4500], ['Pendant Light', 7900], ['Wall Sconce', 5900], ['Table Lamp', 4900], ['String Lights', 1900], ['Lantern', 2900], ['Reading Light', 3500], ['Ceiling Light', 9900], ['Night Light', 1500], ['Spotlight', 3900]] },
  { id: 'textiles', name: 'Textiles', adjectives: ADJECTIVES.home, blurb: 'in soft natural fibres', nouns: [['Throw Blanket', 4900], ['Cushion Cover', 1900], ['Duvet Cover', 6900], ['Bath Towel', 2200], ['Rug', 14900], ['Curtain', 3900], ['Tablecloth', 2900], ['Pillowcase', 1500], ['Bathrobe', 5900], ['Tea Towel', 900], ['Bedspread', 8900]] },
  { id: 'garden', name: 'Garden', adjectives: ADJECTIVES.home, blurb: 'for beds, borders and balconies', nouns: [['Planter', 2900], ['Watering Can', 2400], ['Pruning Shears', 2900], ['Garden Hose', 3900], ['Trowel', 1200], ['Bird Feeder', 1900], ['Raised Bed', 11900], ['Compost Bin', 6900], ['Garden Chair', 7900], ['Wheelbarrow', 12900], ['Seed Tray', 900]] },
  { id: 'tools', name: 'Tools', adjectives: ADJECTIVES.tech, blurb: 'for workshop and home repairs', nouns: [['Drill', 9900], ['Screwdriver Set', 2900], ['Hammer', 1900], ['Tape Measure', 1200], ['Spirit Level', 1900], ['Socket Set', 5900], ['Jigsaw', 8900], ['Sander', 6900], ['Work Light', 3900], ['Tool Box', 4900], ['Utility Knife', 900]] },
  { id: 'electronics', name: 'Electronics', adjectives: ADJECTIVES.tech, blurb: 'with a two-year warranty', nouns: [['Headphones', 12900], ['Speaker', 8900], ['Charger', 2900], ['Power Bank', 3900], ['Keyboard', 6900], ['Mouse', 2900], ['Webcam', 5900], ['Monitor', 24900], ['Router', 9900], ['Earbuds', 7900], ['Desk Fan', 3900]] },
  { id: 'outdoors', name: 'Outdoors', adjectives: ADJECTIVES.outdoor, blurb: 'for long days outside', nouns: [['Backpack', 8900], ['Tent', 24900], ['Sleeping Bag', 12900], ['Headlamp', 3500], ['Water Bottle', 1900], ['Rain Jacket', 14900], ['Camping Stove', 6900], ['Trekking Poles', 7900], ['Hammock', 4900], ['Cooler', 9900], ['Camp Chair', 4500]] },
  { id: 'stationery', name: 'Stationery', adjectives: ADJECTIVES.home, blurb: 'for notes, plans and letters', nouns: [['Notebook', 1200], ['Fountain Pen', 3900], ['Pencil Set', 900], ['Desk Organizer', 2400], ['Planner', 1900], ['Sketchbook', 1500], ['Letter Set', 1400], ['Bookends', 2900], ['Stapler', 1500], ['Card Holder', 1900], ['Wall Calendar', 1600]] },
  { id: 'toys', name: 'Toys', adjectives: ADJECTIVES.home, blurb: 'safety-tested for ages 3 and up', nouns: [['Building Blocks', 3900], ['Puzzle', 1900], ['Board Game', 3500], ['Plush Bear', 2400], ['Kite', 2900], ['Train Set', 7900], ['Doll House', 12900], ['Marble Run', 4900], ['Toy Car', 1500], ['Art Kit', 2900], ['Spinning Top', 900]] },
];

export interface SeedProduct {
  id: string;
  name: string;
  description: string;
  categoryId: string;
  priceCents: number;
  stock: number;
}

/** mulberry32: a tiny seeded PRNG, so "random" prices and stock are the same on every run. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function seedProducts(): SeedProduct[] {
  const random = prng(20261201);
  const products: SeedProduct[] = [];
  for (const category of CATEGORIES) {
    for (const adjective of category.adjectives) {
      for (const [noun, base] of category.nouns) {
        const n = products.length + 1;
        // ±35 % around the noun's base price, ending in 99 cents like a shop would price it.
        const price = Math.max(99, Math.round((base * (0.65 + random() * 0.7)) / 100) * 100 - 1);
        products.push({
          id: `sku-${String(n).padStart(5, '0')}`,
          name: `${adjective} ${noun}`,
          description: `A ${adjective.toLowerCase()} ${noun.toLowerCase()} ${category.blurb}. Item ${n} of the anypod demo catalogue.`,
          categoryId: category.id,
          priceCents: price,
          stock: 50 + Math.floor(random() * 451),
        });
      }
    }
  }
  return products;
}
