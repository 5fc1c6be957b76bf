// A stand-in TypeScript client of openapi/openapi.yaml, type-checked by `make contract-lint`
// against the types openapi-typescript generates into contract/generated/ (never committed).
//
// Responses are only read, as a client reads them, so a field added to a response does not
// break this file; a removed, renamed or retyped field that is read here does. Request bodies
// are built in full, so a new required request field breaks it too. Only stable schema names
// are used: module-qualified ones (jiebang_api__api__v1__schemas__…) are reached through
// `paths` or an indexed access instead.
import type { components, paths } from "./generated/openapi";

type Schemas = components["schemas"];
type ListingOut = Schemas["ListingOut"];
type ApplicationOut = Schemas["ApplicationOut"];
type Problem = Schemas["Problem"];
type PublicListingPage = Schemas["PublicListingPage"];

// GET /api/v1/public/listings: the anonymous catalogue.
type PublicListingsGet = paths["/api/v1/public/listings"]["get"];
type PublicListingsBody =
  PublicListingsGet["responses"][200]["content"]["application/json"];
type PublicListing = PublicListingsBody["items"][number];
type PublicListingsQuery = NonNullable<PublicListingsGet["parameters"]["query"]>;

// POST /api/v1/listings/{listing_id}/applications: draft an application.
type CreateApplication = paths["/api/v1/listings/{listing_id}/applications"]["post"];
type ApplicationBody = CreateApplication["requestBody"]["content"]["application/json"];
type ApplicationMember = NonNullable<ApplicationBody["members"]>[number];
type CreatedApplication = CreateApplication["responses"][201]["content"]["application/json"];
type CreateApplicationProblem =
  CreateApplication["responses"][422]["content"]["application/problem+json"];

// The path-level types are the named schemas.
const pageIsNamed = (page: PublicListingsBody): PublicListingPage => page;
const createdIsNamed = (created: CreatedApplication): ApplicationOut => created;
const problemIsNamed = (problem: CreateApplicationProblem): Problem => problem;

function catalogueLine(listing: PublicListing): string {
  const opens = listing.application_opens_at ?? "—";
  const closes = listing.application_closes_at ?? "—";
  const proposer = listing.proposer === null ? "(emergency)" : listing.proposer.name;
  return `${listing.code} [${listing.kind}/${listing.status}] ${listing.title} · ${proposer} · ${opens}..${closes}`;
}

function catalogue(page: PublicListingPage): { lines: string[]; next: string | null } {
  return { lines: page.items.map(catalogueLine), next: page.next_cursor };
}

// A parameter left out is absent, never null: the last page has no next query.
function nextPageQuery(page: PublicListingPage): PublicListingsQuery | undefined {
  if (page.next_cursor === null) return undefined;
  return { status: "published", kind: "tech_breakthrough", cursor: page.next_cursor, limit: 20 };
}

function canApply(listing: ListingOut, now: Date): boolean {
  const closes = listing.application_closes_at;
  return listing.status === "published" && closes !== null && new Date(closes) > now;
}

// Each allowed action is the last path segment of its operation: POST /listings/{id}/{action}.
function actionPaths(listing: ListingOut): string[] {
  return listing.allowed_actions.map((action) => `/api/v1/listings/${listing.id}/${action}`);
}

function listingSummary(listing: ListingOut): string {
  const technologies: number = listing.key_technologies.length;
  return `${listing.id} v${listing.version}: ${listing.title} (${technologies} key technologies)`;
}

function applicationSummary(application: ApplicationOut): string {
  const shares = [application.lead_budget_share, ...application.members.map(() => "member")];
  const eligible = application.eligibility_report === null ? "not checked" : "checked";
  const submitted = application.submitted_at ?? "not submitted";
  return `${application.id} on ${application.listing_id}: ${application.status}, ${shares.length} parties, ${eligible}, ${submitted}`;
}

function problemMessage(problem: Problem): string {
  const violations = (problem.violations ?? []).map(
    (v) => `${v.field ?? v.rule ?? "?"}: ${v.message}`,
  );
  const retry = problem.code === "RATE_LIMITED" ? ` (retry in ${problem.retry_after ?? "?"}s)` : "";
  return [`${problem.status} ${problem.code} ${problem.title}: ${problem.detail}${retry}`, ...violations].join("\n");
}

const member: ApplicationMember = {
  org_id: "2c3d4e5f-6071-4b8c-9dae-1f2a3b4c5d6e",
  role: "技术合作方",
  budget_share: "30.00",
};

const application: ApplicationBody = {
  lead_org_id: "1b2c3d4e-5f60-4a7b-8c9d-0e1f2a3b4c5d",
  lead_budget_share: "70.00",
  members: [member],
  plan: {
    approach: "晶界扩散结合中试验证",
    budget_total: "15000000.00",
    milestones: [{ title: "中试", due_month: 12, deliverable: "中试报告" }],
    team: [{ name: "王工", title: "教授", role: "技术负责人" }],
    ip_plan: "新成果双方共有",
  },
  declarations: {
    has_transfer_team: true,
    can_provide_funds: true,
    can_provide_site: false,
    market_channels: "区内整车企业",
  },
  attachment_ids: [],
};

const minimalApplication: ApplicationBody = {
  lead_org_id: "1b2c3d4e-5f60-4a7b-8c9d-0e1f2a3b4c5d",
  lead_budget_share: "100.00",
};

// The generated types are precise, not `any`: each line below must be rejected.
// @ts-expect-error a listing status outside the enum
const badStatus: ListingOut["status"] = "open";
// @ts-expect-error an error code outside the enum
const badCode: Problem["code"] = "TEAPOT";
// @ts-expect-error the lead organisation is required
const noLead: ApplicationBody = { lead_budget_share: "100.00" };
// @ts-expect-error budget shares are decimal strings
const numericShare: ApplicationMember = { org_id: "x", role: "y", budget_share: 30 };
// @ts-expect-error allowed actions name real operations only
const badAction: ListingOut["allowed_actions"][number] = "apply";

export {
  actionPaths,
  applicationSummary,
  canApply,
  catalogue,
  createdIsNamed,
  listingSummary,
  nextPageQuery,
  pageIsNamed,
  problemIsNamed,
  problemMessage,
  application,
  minimalApplication,
  badStatus,
  badCode,
  noLead,
  numericShare,
  badAction,
};
