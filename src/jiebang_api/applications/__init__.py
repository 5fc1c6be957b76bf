"""Applications (揭榜申请) and the eligibility engine that decides who may take up a listing."""
