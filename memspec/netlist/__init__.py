"""Netlists that take a memristor network to other simulators."""
