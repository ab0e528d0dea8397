"""subsetsum"""
