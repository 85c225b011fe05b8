"""The demo community: a generated population and its activity, built through store/."""
