// The no-code builder: condition groups with AND/OR between groups and between conditions.
import { Alert, Button, Center, Group, Menu, Paper, Stack, Text } from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { IconCalendarEvent, IconChevronDown, IconHierarchy2, IconPlus, IconTag, IconTrash, IconUsersGroup } from '@tabler/icons-react';
import { useQuery } from '@tanstack/react-query';
import { Fragment } from 'react';
import { api, call, type AudienceDefinition } from '../api/client';
import type { GraphIndex } from '../graph';
import { BuilderContext } from './BuilderContext';
import { AndOr, ConditionCard } from './ConditionCard';
import type { Condition } from './model';
import { useKnownNames } from './knownNames';
import { addCondition, errorsAt, newCondition, removeGroup, setGroupOperator, setGroupsOperator, toJson, type State } from './state';

/** Validates the definition as it is edited (POST /api/v1/audiences/validate); errors carry JSON pointers. */
export function useValidation(state: State) {
  const def = toJson(state);
  const [debounced] = useDebouncedValue(JSON.stringify(def), 400);
  return useQuery({
    queryKey: ['validate', debounced],
    queryFn: () => call(api.POST('/api/v1/audiences/validate', { body: { key: 'draft', definition: JSON.parse(debounced) as AudienceDefinition } })),
    placeholderData: (prev) => prev,
    staleTime: Infinity,
    retry: false,
  });
}

function AddConditionMenu(props: { onAdd: (c: Condition) => void; label: string; ariaLabel?: string; firstRel: string | undefined; testId: string }) {
  return (
    <Menu position="bottom-start" withinPortal>
      <Menu.Target>
        <Button variant="light" size="xs" leftSection={<IconPlus size={14} />} rightSection={<IconChevronDown size={14} />} data-testid={props.testId} aria-label={props.ariaLabel}>
          {props.label}
        </Button>
      </Menu.Target>
      <Menu.Dropdown>
        <Menu.Item leftSection={<IconHierarchy2 size={16} />} onClick={() => props.onAdd({ ...newCondition('entity'), relationship: props.firstRel ?? '' })}>
          Related entity
        </Menu.Item>
        <Menu.Item leftSection={<IconCalendarEvent size={16} />} onClick={() => props.onAdd(newCondition('event'))}>
          Event
        </Menu.Item>
        <Menu.Item leftSection={<IconTag size={16} />} onClick={() => props.onAdd(newCondition('trait'))}>
          Trait
        </Menu.Item>
        <Menu.Item leftSection={<IconUsersGroup size={16} />} onClick={() => props.onAdd(newCondition('audience'))}>
          Audience membership
        </Menu.Item>
      </Menu.Dropdown>
    </Menu>
  );
}

export function Builder(props: {
  state: State;
  onChange: (s: State) => void;
  graph: GraphIndex;
  audiences: { key: string; name: string }[];
  selfKey?: string;
  readOnly?: boolean;
}) {
  const { state, onChange, graph, readOnly = false } = props;
  const validation = useValidation(state);
  const errors = validation.data?.errors ?? [];
  const update = (fn: (s: State) => State) => onChange(fn(state));
  const firstRel = graph.view.relationships[0]?.slug;
  const topErrors = errorsAt(errors, '', true).concat(errorsAt(errors, '/groups', true));
  const names = useKnownNames(
    props.audiences.map((a) => a.key),
    toJson(state),
  );

  return (
    <BuilderContext.Provider value={{ state, update, errors, graph, audiences: props.audiences, selfKey: props.selfKey, readOnly, names }}>
      <Stack gap="sm" data-testid="builder">
        {topErrors.length > 0 && (
          <Alert color="red" variant="light" role="alert">
            {topErrors.join('; ')}
          </Alert>
        )}
        {state.groups.map((g, gi) => (
          <Fragment key={g._k}>
            {gi > 0 && (
              <Center>
                <AndOr label={`Groups combine with`} value={state.groups_operator} onChange={(op) => update((s) => setGroupsOperator(s, op))} readOnly={readOnly} />
              </Center>
            )}
            <Paper withBorder p="md" radius="md" bg="white" role="group" aria-label={`Group ${gi + 1}`} data-testid="group">
              <Stack gap="sm">
                <Group justify="space-between">
                  <Group gap="xs">
                    <Text fw={650} size="sm">
                      Group {gi + 1}
                    </Text>
                    {g.conditions.length > 1 && (
                      <>
                        <Text size="xs" c="dimmed">
                          conditions combine with
                        </Text>
                        <AndOr label={`Group ${gi + 1}: conditions combine with`} value={g.operator} onChange={(op) => update((s) => setGroupOperator(s, gi, op))} readOnly={readOnly} />
                      </>
                    )}
                  </Group>
                  {!readOnly && state.groups.length > 1 && (
                    <Button size="compact-xs" variant="subtle" color="red" leftSection={<IconTrash size={14} />} onClick={() => update((s) => removeGroup(s, gi))}>
                      Remove group
                    </Button>
                  )}
                </Group>
                {g.conditions.map((c, ci) => (
                  <Fragment key={c._k}>
                    {ci > 0 && (
                      <Text size="xs" fw={700} c="violet.7" pl="xs">
                        {(g.operator ?? 'and').toUpperCase()}
                      </Text>
                    )}
                    <ConditionCard addr={[gi, ci]} c={c} />
                  </Fragment>
                ))}
                {g.conditions.length === 0 && (
                  <Text size="sm" c="dimmed">
                    This group has no condition yet.
                  </Text>
                )}
                {!readOnly && (
                  <Group>
                    <AddConditionMenu label="Add condition" ariaLabel={`Add condition to group ${gi + 1}`} firstRel={firstRel} onAdd={(c) => update((s) => addCondition(s, gi, c))} testId={`add-condition-${gi}`} />
                  </Group>
                )}
              </Stack>
            </Paper>
          </Fragment>
        ))}
        {!readOnly && (
          <Group>
            <AddConditionMenu label="Add group" firstRel={firstRel} onAdd={(c) => update((s) => addCondition(s, s.groups.length, c))} testId="add-group" />
          </Group>
        )}
        <Text size="xs" c={errors.length ? 'red' : 'dimmed'} aria-live="polite" data-testid="validation-status">
          {validation.isFetching && !validation.data ? 'Checking…' : errors.length ? `${errors.length} problem${errors.length > 1 ? 's' : ''} to fix` : 'The definition is valid.'}
        </Text>
      </Stack>
    </BuilderContext.Provider>
  );
}
