"""Agreements: negotiation, the agreement's terms, public notice and objections, signatures."""
