"""features/env"""
