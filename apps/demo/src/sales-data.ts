/** The CSV the demo's agent analyses, and the workspace's AGENTS.md. */
export const SALES_CSV = `date,region,product,units,unit_price
2026-01-05,North,Widget,12,9.50
2026-01-05,South,Gadget,4,24.00
2026-01-12,East,Widget,7,9.50
2026-01-12,North,Gizmo,3,41.25
2026-01-19,South,Widget,15,9.50
2026-01-19,West,Gadget,9,24.00
2026-01-26,East,Gizmo,5,41.25
2026-01-26,North,Gadget,6,24.00
2026-02-02,West,Widget,20,9.50
2026-02-02,South,Gizmo,2,41.25
2026-02-09,East,Gadget,8,24.00
2026-02-09,West,Gizmo,4,41.25
`

export const AGENTS_MD = `# Sales workspace
- Data lives in data/sales.csv (one row per order line; revenue = units * unit_price).
- Compute every number with run_code; never estimate.
- Report money with two decimals.
`
